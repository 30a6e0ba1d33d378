import { expect, test } from 'vitest';
import { grammarText, multivariateSeries } from '../../models/dll/data/tasks';

test('the generated text is deterministic, grammatical in shape, and uses a small alphabet', () => {
  const a = grammarText(5000, 3);
  const b = grammarText(5000, 3);
  expect(a.text).toBe(b.text);
  expect(grammarText(5000, 4).text).not.toBe(a.text);
  expect(a.text).toHaveLength(5000);
  expect(a.alphabet.length).toBeLessThanOrEqual(28);
  expect(a.text).toMatch(/^(the|a|an|every|some|one) /);
  expect(a.text).not.toMatch(/\ba [aeiou]/); // a/an agreement
  expect(Array.from(a.codes, (c) => a.alphabet[c]).join('')).toBe(a.text);
});

test('the generated series is deterministic and z-scored on its training part', () => {
  const s = multivariateSeries(2000, 4, 1);
  expect(Array.from(multivariateSeries(2000, 4, 1).values)).toEqual(Array.from(s.values));
  for (let c = 0; c < 4; c++) {
    let m = 0;
    let v = 0;
    for (let t = 0; t < s.trainLength; t++) m += s.values[t * 4 + c];
    m /= s.trainLength;
    for (let t = 0; t < s.trainLength; t++) v += (s.values[t * 4 + c] - m) ** 2;
    expect(Math.abs(m)).toBeLessThan(1e-12);
    expect(Math.abs(v / s.trainLength - 1)).toBeLessThan(1e-12);
  }
  expect(() => multivariateSeries(10, 2, 1)).toThrow(/length must be an integer >= 100/);
});
