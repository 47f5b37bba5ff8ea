import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/nn/models.js';
import { gpu } from '../helpers.js';

describe('AlexNet variants', () => {
  it('tutorial at 224×224 has the parameter count computed by hand', async () => {
    const ctx = await gpu();
    const m = buildModel({ variant: 'tutorial', imageSize: 224 });
    // Shapes: 224 →conv 11/4 valid→ 54 →pool 3/2→ 26 →conv same→ 26 →pool→ 12 →3 convs→ 12 →pool→ 5.
    expect(m.computeShapes().map((s) => s.join('x'))).toEqual([
      '54x54x48', '54x54x48', '26x26x48', '26x26x128', '26x26x128', '12x12x128',
      '12x12x192', '12x12x192', '12x12x128', '5x5x128', '3200', '1024', '1024', '1024', '1024', '1',
    ]);
    m.build(ctx, 1);
    // conv1 11·11·3·48+48 = 17,472; bn1 4·48 = 192; conv2 5·5·48·128+128 = 153,728; bn2 512;
    // conv3 3·3·128·192+192 = 221,376; conv4 3·3·192·192+192 = 331,968; conv5 3·3·192·128+128 =
    // 221,312; dense 3200·1024+1024 = 3,277,824; dense 1024·1024+1024 = 1,049,600; out 1,025.
    expect(m.paramCount()).toEqual({ total: 5_275_009, trainable: 5_275_009 - 2 * (48 + 128) });
    const summary = m.summary();
    expect(summary).toContain('Total params: 5,275,009');
    expect(summary).toContain('Non-trainable params: 352');
    expect(summary).toContain('(None, 54, 54, 48)');
    m.dispose();
  });

  it('tutorial-regularized has batch norm after every convolution and L2 on conv kernels', () => {
    const m = buildModel({ variant: 'tutorial-regularized', imageSize: 224 });
    const types = m.layers.map((l) => l.config().type);
    expect(types.filter((t) => t === 'BatchNorm')).toHaveLength(5);
    const convs = m.layers.filter((l) => l.config().type === 'Conv2D');
    expect(convs.map((c) => c.config().l2)).toEqual([0.001, 0.001, 0.001, 0.001, 0.001]);
  });

  it('paper variant: full widths, LRN, softmax over any number of classes', () => {
    const m = buildModel({ variant: 'paper', imageSize: 224, classes: 5 });
    expect(m.outputActivation).toBe('softmax');
    expect(m.outputShape).toEqual([5]);
    const cfg = m.layers.map((l) => l.config());
    expect(cfg.filter((c) => c.type === 'LRN')).toHaveLength(2);
    expect(cfg.filter((c) => c.type === 'Conv2D').map((c) => c.filters)).toEqual([96, 256, 384, 384, 256]);
    expect(cfg.filter((c) => c.type === 'Dense').map((c) => c.units)).toEqual([4096, 4096, 5]);
    expect(cfg.filter((c) => c.type === 'Dropout').map((c) => c.rate)).toEqual([0.5, 0.5]);
  });

  it('a too-small input size is a clear error', () => {
    expect(() => buildModel({ variant: 'tutorial', imageSize: 40 })).toThrow(/cannot take 40×40 images/);
  });
});
