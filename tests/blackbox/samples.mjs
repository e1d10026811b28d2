// Edge-case values: unicode that breaks naive code, numbers at and past the limits, strings that are not ids.

export const EMOJI = ['👍', '❤️', '😂', '🎉', '🔥', '👨‍👩‍👧‍👦', '🏳️‍🌈', '👍🏽', '🇺🇦', '✅', '1️⃣', '🫠', '😀', '🙏', '💯'];

// Each one is a JavaScript string; JSON.stringify writes lone surrogates as \ud800-style escapes.
export const UNICODE = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\udc00y',
  '\ud83d',
  '\ud83d\ude00\ud83d',
  '\u202eevil\u202c',
  'שלום עולם',
  'مرحبا بالعالم',
  '\u200f\u200e\u061c',
  'e' + '\u0301'.repeat(200),
  'Z̴̡̢̛̖̗͕̝̱͍̤̝͓̪̳̖̏̆͂̅̓̓̂̈́̀͂̔̕͠a̷̢̛̮̦̥͖̞̎̓̋̀̈́͌l̶̨̛͍̙̘̰͖̈́̀̍̐̄́̇g̶',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  '👩🏽‍🚀',
  '\u200d\u200d\u200d',
  '\ufeff',
  '\ufffe\uffff',
  '\ufdd0',
  '\u2028\u2029',
  '\t\r\n\v\f',
  '\u001b[31mred',
  '￼',
  '𝕳𝖊𝖑𝖑𝖔',
  'İıſK',
  'ß'.repeat(50),
  '"\'\\/<script>',
  '%00%ff',
  '{"$ne": null}',
  "' OR 1=1 --",
  '\u0085\u00a0\u3000',
];

export const HUGE_NUMBERS = [
  0,
  -1,
  -0,
  1.5,
  -9223372036854775808n,
  9223372036854775807n,
  9223372036854775808n,
  18446744073709551616n,
  2147483647,
  2147483648,
  4294967296,
  -2147483649,
  1e308,
  -1e308,
  1e-320,
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '0.0000000000000000000001',
];

export const NOT_IDS = [
  'abc', '', ' ', '1a', 'a1', '-1', '0', '-0', '+1', '1.0', '1e3', '0x10', '0b1', '01', '00000000000000000000001',
  '9223372036854775807', '9223372036854775808', '99999999999999999999999999', '1%00', '%00', '1%20', '%20', '１',
  '٣', 'NaN', 'Infinity', 'null', 'true', '[]', '{}', '..', '%2e%2e', '..%2f..%2fetc%2fpasswd', '%ff', '%', '%zz',
  '1;2', '1,2', '1/2', '1?x', '1#x', '👍', '\u202e1', 'a'.repeat(300), '9'.repeat(5000),
];

export const TEXTS = [
  'hello',
  'привет',
  'こんにちは世界',
  'Ünïcödé ✓',
  'a',
  ' x ',
  'line one\nline two',
  'emoji 👍🏽 and 👨‍👩‍👧‍👦',
];

/** A valid message text: mostly plain, sometimes the unicode edge cases (still not blank). */
export function pickText(rng) {
  const r = rng.float();
  if (r < 0.5) return `${rng.pick(TEXTS)} ${rng.hex(6)}`;
  if (r < 0.8) return `t ${rng.pick(UNICODE)} ${rng.pick(UNICODE)} ${rng.pick(EMOJI)}`;
  if (r < 0.95) return 'x'.repeat(rng.int(100, 4000));
  return '😀'.repeat(rng.int(1000, 4096));
}

/** JSON text for `value`, writing bigints as bare numbers. */
export function toJson(value) {
  const marks = [];
  const text = JSON.stringify(value, (_, v) => {
    if (typeof v === 'bigint') {
      marks.push(v.toString());
      return `__bigint_${marks.length - 1}__`;
    }
    return v;
  });
  return text.replace(/"__bigint_(\d+)__"/g, (_, i) => marks[Number(i)]);
}
