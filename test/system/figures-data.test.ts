/**
 * Figures rendered by Debian's chromium (PNG and SVG) and Fashion-MNIST read from Debian's
 * dataset-fashion-mnist package: the system packages .ci/run installs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { DEBIAN_FASHION_MNIST, loadDataset } from '../../src/data/files';
import { chromiumPath, writeFigure } from '../../src/io/plot';

test('a figure is written as HTML, PNG and SVG (chromium)', () => {
  expect(chromiumPath(), 'install Debian chromium: apt-get install chromium').not.toBeNull();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-fig-'));
  const r = writeFigure(dir, 'demo', { data: [{ x: [1e-3, 1e-2, 1e-1], y: [1, 2, 3], mode: 'lines+markers' }], layout: { xaxis: { type: 'log', title: { text: 'η' } } } }, { title: 'demo figure', width: 500, height: 300 });
  expect(r.png, r.note).not.toBeNull();
  expect(fs.readFileSync(r.png!).subarray(1, 4).toString()).toBe('PNG');
  expect(r.svg).not.toBeNull();
  const svg = fs.readFileSync(r.svg!, 'utf8');
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toContain('demo figure');
});

test("Fashion-MNIST from Debian's dataset-fashion-mnist: the full 60,000/10,000 split", () => {
  expect(fs.existsSync(DEBIAN_FASHION_MNIST), 'install Debian dataset-fashion-mnist: apt-get install dataset-fashion-mnist').toBe(true);
  const s = loadDataset('fashion-mnist');
  expect([s.train.n, s.test.n, s.train.d, s.train.classes]).toEqual([60000, 10000, 784, 10]);
  expect(Array.from(s.train.y.subarray(0, 5))).toEqual([9, 0, 0, 3, 0]); // the distribution's first labels
  const counts = new Array(10).fill(0);
  for (const y of s.test.y) counts[y]++;
  expect(counts).toEqual(new Array(10).fill(1000));
});
