/**
 * Models rebuilt from the layer list a manifest stores (how imported models load): the same
 * layers, names, options and parameters as the variant built them; parameterShapes() gives
 * the built model's parameter names and shapes, in order, without a GPU. And greyscale
 * preprocessing (1-channel models) gives PIL's convert('L') values.
 */
import { describe, expect, it } from 'vitest';
import { modelFromManifest, parameterShapes, sequentialFromConfig } from '../../src/nn/from-config.js';
import { FORMAT, type ModelManifest } from '../../src/nn/manifest.js';
import { buildModel, MODEL_VARIANTS } from '../../src/nn/models.js';
import { inputsFor } from '../../src/data/preprocess.js';
import { gpu } from '../helpers.js';

describe('sequentialFromConfig / parameterShapes', () => {
  for (const variant of MODEL_VARIANTS) {
    it(`${variant}: the rebuilt model equals the variant's, and parameterShapes its parameters`, async () => {
      const original = buildModel({ variant, imageSize: 67, width: 0.0625, classes: 3 });
      const rebuilt = sequentialFromConfig(original.config());
      expect(rebuilt.config()).toEqual(original.config());
      expect(rebuilt.computeShapes()).toEqual(original.computeShapes());
      const ctx = await gpu();
      rebuilt.build(ctx, 1);
      expect([...parameterShapes(original)]).toEqual(rebuilt.params().map((p) => [p.name, p.tensor.shape]));
      rebuilt.dispose();
    });
  }

  it('modelFromManifest uses the variant when there is one, else the layer list', () => {
    const m = buildModel({ variant: 'tutorial', imageSize: 67, width: 0.125 });
    const manifest: ModelManifest = {
      format: FORMAT, model: m.config(), modelOptions: { variant: 'tutorial', imageSize: 67, width: 0.125 }, classNames: ['a', 'b'],
      preprocessing: { imageSize: 67, rescale: 1, resize: 'nearest' }, step: 0, savedAt: '',
    };
    // A tampered layer list is ignored for a variant model ...
    const tampered = { ...manifest, model: { ...manifest.model, layers: manifest.model.layers.slice(0, 3) } };
    expect(modelFromManifest(tampered).layers).toHaveLength(m.layers.length);
    // ... and is the model for an imported one.
    const imported = { ...tampered, modelOptions: { variant: 'imported' as const, from: 'keras', imageSize: 67, classes: 2 } };
    expect(modelFromManifest(imported).layers.map((l) => l.name)).toEqual(m.layers.slice(0, 3).map((l) => l.name));
    expect(() => sequentialFromConfig({ ...manifest.model, layers: [{ type: 'Tanh', name: 't' }] })).toThrow("layer t: unknown layer type 'Tanh'");
  });
});

describe('greyscale preprocessing', () => {
  it("gives PIL's convert('L') levels: red 76, green 150, blue 29, grey unchanged", () => {
    const px = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [77, 77, 77]];
    const img = { width: 2, height: 2, data: Uint8Array.from(px.flat()) };
    const [v] = inputsFor(img, { imageSize: 2, rescale: 1, resize: 'nearest', channels: 1 }, false);
    expect(Array.from(v!)).toEqual([76, 150, 29, 77]);
    const [rgb] = inputsFor(img, { imageSize: 2, rescale: 1, resize: 'nearest' }, false);
    expect(Array.from(rgb!)).toEqual(px.flat());
  });
});
