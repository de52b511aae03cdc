// The Markdown that stampede writes (batch summaries: headings, paragraphs,
// pipe tables, bullet lists, inline code and bold), as HTML, so that a page
// shows exactly the tables of its .md file instead of a second copy of the
// code that builds them. Not a general Markdown parser: input it was not
// written for comes out as escaped paragraphs, never as markup.
import { escapeHtml } from './html.ts';

export function markdownToHtml(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const heading = /^(#{1,6}) (.*)$/.exec(line);
    if (line.trim() === '') {
      i++;
    } else if (heading) {
      const level = heading[1].length;
      out.push(`<h${level}>${inline(heading[2])}</h${level}>`);
      i++;
    } else if (isTableRow(line) && i + 1 < lines.length && isSeparator(lines[i + 1])) {
      const header = cells(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && isTableRow(lines[i])) rows.push(cells(lines[i++]));
      out.push(table(header, rows));
    } else if (line.startsWith('- ')) {
      const items: string[] = [];
      while (i < lines.length && lines[i].startsWith('- ')) {
        // Indented lines continue the item (e.g. a failed job's reproduce command).
        const parts = [lines[i++].slice(2)];
        while (i < lines.length && /^ {2,}\S/.test(lines[i])) parts.push(lines[i++].trim());
        items.push(`<li>${parts.map(inline).join('<br>')}</li>`);
      }
      out.push(`<ul>\n${items.join('\n')}\n</ul>`);
    } else {
      const parts: string[] = [];
      while (i < lines.length && lines[i].trim() !== '' && !/^#{1,6} /.test(lines[i]) && !lines[i].startsWith('- ') && !isTableRow(lines[i])) {
        parts.push(lines[i++]);
      }
      if (parts.length === 0) parts.push(lines[i++]);
      out.push(`<p>${inline(parts.join(' '))}</p>`);
    }
  }
  return out.join('\n');
}

/** The first pipe table of some Markdown: its header and rows of plain cell text (escapes undone), or null. */
export function firstTable(markdown: string): { header: string[]; rows: string[][] } | null {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const start = lines.findIndex((line, i) => isTableRow(line) && i + 1 < lines.length && isSeparator(lines[i + 1]));
  if (start < 0) return null;
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && isTableRow(lines[i]); i++) rows.push(cells(lines[i]));
  return { header: cells(lines[start]), rows };
}

/** A verdict cell (`FAIL`, `pass`, `not judged`) in its colour. */
const VERDICT_CLASS: Record<string, string> = { FAIL: 'fail', pass: 'ok', 'not judged': 'warn' };

function isTableRow(line: string): boolean {
  return line.startsWith('|') && line.trimEnd().endsWith('|');
}

function isSeparator(line: string): boolean {
  return isTableRow(line) && cells(line).every((cell) => /^:?-{3,}:?$/.test(cell));
}

/** The cells of `| a | b \| c |`: split on pipes that are not escaped. */
function cells(line: string): string[] {
  const inner = line.trim().slice(1, -1);
  const result: string[] = [];
  let current = '';
  for (let k = 0; k < inner.length; k++) {
    if (inner[k] === '\\' && inner[k + 1] === '|') {
      current += '|';
      k++;
    } else if (inner[k] === '|') {
      result.push(current.trim());
      current = '';
    } else {
      current += inner[k];
    }
  }
  result.push(current.trim());
  return result;
}

/** Numbers, intervals (`0.1 (-0.1/+0.2262)` too) and dashes align right, as in a spreadsheet. */
function numeric(cell: string): boolean {
  return /^[-+–]?[\d.,\s±[\]()/e+-]*$/.test(cell) && /[\d–]/.test(cell);
}

function table(header: string[], rows: string[][]): string {
  const align = header.map((_, column) => rows.length > 0 && rows.every((row) => numeric(row[column] ?? '')));
  const th = header.map((cell, column) => `<th${align[column] ? ' class="num"' : ''}>${inline(cell)}</th>`).join('');
  const cellClass = (cell: string, column: number) => [align[column] ? 'num' : '', VERDICT_CLASS[cell] ?? ''].filter((c) => c !== '').join(' ');
  const body = rows
    .map((row) => `<tr>${row.map((cell, column) => `<td${cellClass(cell, column) === '' ? '' : ` class="${cellClass(cell, column)}"`}>${inline(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** `code` and **bold**; everything else escaped. */
function inline(text: string): string {
  let html = '';
  let rest = text;
  for (;;) {
    const match = /(`+)(.+?)\1|\*\*(.+?)\*\*/.exec(rest);
    if (match === null) return html + escapeHtml(rest);
    html += escapeHtml(rest.slice(0, match.index));
    html += match[2] !== undefined ? `<code>${escapeHtml(match[2])}</code>` : `<b>${escapeHtml(match[3])}</b>`;
    rest = rest.slice(match.index + match[0].length);
  }
}
