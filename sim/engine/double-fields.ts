// First values for object fields that will hold doubles: times, sums, rates,
// counts added up from Float64Arrays.
//
// V8 gives a field the representation of the first value stored in it, and
// an integer literal (0, -1) makes it a small-integer ("Smi") field. When a
// fraction is stored there later, every object of the class moves to a new
// hidden class and all the optimized code built for the old one is thrown
// away, to be run in the interpreter again until it is re-optimized. A run
// of a few hundred milliseconds spends much of itself in such warm-up: the
// 100,000-client V2 run went through ~50 deoptimizations, in waves of ten
// functions at a time, before these fields started as doubles, and ~25, none
// of them a wave, after (docs/ARCHITECTURE.md, "Start-up").
// test/double-fields.test.ts watches the model's fields with V8's own trace.

/**
 * Zero, held as a double: -0 is the one zero V8 cannot keep as a small
 * integer. It equals 0 in every comparison, adding any number but -0 to it
 * gives that number (so an accumulator is +0 after its first `+=`), and it
 * prints as "0" except through Intl (and sim/format-integer.ts, which prints
 * "-0" as Intl does). Only for fields that are added to or overwritten
 * before they are shown; one that may be shown before (a sum with nothing
 * added yet, a maximum before the first sample) is read as `field + 0`,
 * which is +0 for -0 and the field itself otherwise
 * (test/double-fields.test.ts looks for -0 in results).
 */
export const DOUBLE_ZERO = -0;

/** "Not yet" for a time field: before every time, and held as a double. */
export const NOT_YET = -Infinity;
