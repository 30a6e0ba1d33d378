import { describe, expect, it } from 'vitest';
import { figurePage, integerDtick, paperStyle } from '../src/io/plot';

describe('figures a paper could print (paperStyle)', () => {
  it('log axes in powers of ten, ticked at decades when the data span them', () => {
    const f = paperStyle({ data: [{ x: [1e-4, 1e-3, 1e-2], y: [1, 2, 3] }], layout: { xaxis: { type: 'log' } } });
    expect(f.layout!.xaxis).toMatchObject({ type: 'log', exponentformat: 'power', showexponent: 'all', dtick: 1 });
    const wide = paperStyle({ data: [{ x: [0, 1], y: [1, 1e-32] }], layout: { yaxis: { type: 'log' } } });
    expect((wide.layout!.yaxis as { dtick: number }).dtick).toBe(4); // 32 decades: every 4th
  });
  it('whole-number ticks on counting axes, and a given dtick wins', () => {
    const f = paperStyle({ data: [{ x: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], y: new Array(21).fill(0) }], layout: { xaxis: { title: { text: 'epoch' } } } });
    expect(f.layout!.xaxis).toMatchObject({ tickmode: 'linear', tick0: 0, dtick: 2, tickformat: 'd' });
    const kept = paperStyle({ data: [{ x: [1, 2], y: [0, 0] }], layout: { xaxis: { title: { text: 'epoch' }, dtick: 5 } } });
    expect((kept.layout!.xaxis as { dtick: number }).dtick).toBe(5);
    expect(integerDtick(3)).toBe(1);
    expect(integerDtick(95)).toBe(10);
  });
  it('markers take their line colour; the title goes into the plot, never a file-name heading', () => {
    const f = paperStyle({ data: [{ mode: 'lines+markers', line: { color: '#123456' }, x: [1], y: [1] }] }, 'A title');
    expect(f.data[0].marker).toEqual({ color: '#123456' });
    expect(f.layout!.title).toMatchObject({ text: 'A title' });
    expect(figurePage('fig-name', [{ figure: { data: [] } }])).not.toContain('<h2>');
  });
});

describe('narrow log axes keep their 1-2-5 ticks', () => {
  it('a log axis spanning less than two decades gets no decade-only dtick', () => {
    const f = paperStyle({ data: [{ x: [0.5, 1, 2, 5, 8], y: [1, 2, 3, 4, 5] }], layout: { xaxis: { type: 'log' } } });
    expect((f.layout!.xaxis as { dtick?: number }).dtick).toBeUndefined();
  });
});

describe('a narrow log sweep is ticked at its values', () => {
  it('ratios 0.5-8 get ticks 0.5, 1, 2, 5, 8', () => {
    const f = paperStyle({ data: [{ x: [0.5, 1, 2, 5, 8], y: [1, 2, 3, 4, 5] }], layout: { xaxis: { type: 'log' } } });
    expect(f.layout!.xaxis).toMatchObject({ tickmode: 'array', tickvals: [0.5, 1, 2, 5, 8], ticktext: ['0.5', '1', '2', '5', '8'] });
  });
  it('values within a factor 1.3 of the last tick are left out (evaluation counts 192 and 222 would overlap)', () => {
    const f = paperStyle({ data: [{ x: [48, 96, 192, 222, 384, 504, 768], y: [1, 2, 3, 4, 5, 6, 7] }], layout: { xaxis: { type: 'log' } } });
    expect((f.layout!.xaxis as { tickvals: number[] }).tickvals).toEqual([48, 96, 192, 384, 504, 768]);
  });
});
