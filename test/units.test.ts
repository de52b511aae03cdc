import { describe, expect, it } from 'vitest';
import { formatDuration, formatRate, parseDuration, parseRate } from '../sim/scenario/units.ts';

/** Deterministic pseudo-random floats over many magnitudes (no dependency on Math.random). */
function* samples(count: number): Generator<number> {
  let state = 0x9e3779b9;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  for (let i = 0; i < count; i++) {
    const exponent = Math.floor(next() * 40) - 20;
    const value = next() * 10 ** exponent;
    yield i % 3 === 0 ? Math.round(value) : i % 3 === 1 ? value : Math.round(value * 1000) / 1000;
  }
}

const EDGE_VALUES = [0, 1e-9, 0.1 + 0.2, 1 / 3, 0.001, 0.25, 1.5, 59.999, 60, 90, 3600, 86400, 2 ** 53, 1e21, Number.MIN_VALUE, Number.MAX_VALUE];

describe('parseDuration', () => {
  it.each([
    ['10m', 600],
    ['600s', 600],
    ['250ms', 0.25],
    ['1.5h', 5400],
    ['1m30s', 90],
    ['1h0m30s', 3630],
    ['2d', 172800],
    ['0s', 0],
    ['.5s', 0.5],
    ['1e-3s', 0.001],
    [' 5s ', 5],
  ])('reads %j as %d s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it('divides milliseconds so that they are exact', () => {
    expect(parseDuration('100ms')).toBe(0.1);
    expect(parseDuration('1s100ms')).toBe(1.1);
  });

  it.each([
    ['5', /a unit is required/],
    ['1h30', /a unit is required/],
    ['-5s', /cannot be negative/],
    ['10 minutes', /unknown unit "minutes"/],
    ['5 sec', /unknown unit "sec"/],
    ['5sec', /unknown unit "sec"/],
    ['5 s', /without a space/],
    ['', /empty/],
    ['   ', /empty/],
    ['s', /cannot read "s"/],
    ['abc', /cannot read "abc"/],
    ['Infinitys', /cannot read/],
    ['1e400s', /too large/],
  ])('rejects %j', (text, reason) => {
    expect(() => parseDuration(text)).toThrow(reason);
    expect(() => parseDuration(text)).toThrow(/expected a duration with a unit such as "5s" or "10m"/);
  });
});

describe('formatDuration', () => {
  it.each([
    [600, '10m'],
    [0.25, '250ms'],
    [90, '90s'],
    [5400, '90m'],
    [3600, '1h'],
    [86400, '1d'],
    [0, '0s'],
    [1.5, '1.5s'],
    [1e-7, '1e-7s'],
  ])('writes %d s as %j', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it.each([-1, NaN, Infinity])('refuses %d', (seconds) => {
    expect(() => formatDuration(seconds)).toThrow(/cannot format/);
  });

  it('round-trips exactly for edge values', () => {
    for (const x of EDGE_VALUES) expect(parseDuration(formatDuration(x)), `${x}`).toBe(x);
  });

  it('round-trips exactly for many floats of every magnitude', () => {
    const failures = [...samples(20000)].filter((x) => parseDuration(formatDuration(x)) !== x);
    expect(failures).toEqual([]);
  });
});

describe('parseRate', () => {
  it.each([
    ['20000/s', 20000],
    ['1200/min', 20],
    ['72000/h', 20],
    ['0.5/s', 0.5],
    ['0/s', 0],
    ['unlimited', Infinity],
  ])('reads %j as %d per second', (text, perSecond) => {
    expect(parseRate(text)).toBe(perSecond);
  });

  it.each([
    ['5', /a unit is required/],
    ['5/m', /per minute is \/min/],
    ['5/sec', /unknown unit "\/sec"/],
    ['-1/s', /cannot be negative/],
    ['5 /s', /without spaces/],
    ['', /empty/],
    ['fast', /NUMBER\/UNIT/],
    ['Unlimited', /NUMBER\/UNIT/],
  ])('rejects %j', (text, reason) => {
    expect(() => parseRate(text)).toThrow(reason);
  });
});

describe('formatRate', () => {
  it.each([
    [20000, '20000/s'],
    [Infinity, 'unlimited'],
    [0.5, '30/min'],
    [1 / 3, '20/min'],
    [1 / 3600, '1/h'],
    [Math.PI, `${Math.PI}/s`],
  ])('writes %d per second as %j', (perSecond, text) => {
    expect(formatRate(perSecond)).toBe(text);
  });

  it.each([-1, NaN, -Infinity])('refuses %d', (perSecond) => {
    expect(() => formatRate(perSecond)).toThrow(/cannot format/);
  });

  it('round-trips exactly', () => {
    const values = [...EDGE_VALUES, Infinity, 1 / 60, 7 / 3600, ...samples(20000)];
    expect(values.filter((x) => parseRate(formatRate(x)) !== x)).toEqual([]);
  });
});
