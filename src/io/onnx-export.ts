/**
 * This engine's models as ONNX inference graphs (opset 13, IR version 7), platform-neutral
 * (bytes out; the protobuf encoding is src/io/onnx-proto.ts).
 *
 * Graph contract:
 * - input  `input`:  float32 [N, H, W, C] — NHWC, as the engine and Keras take images, pixels
 *   already preprocessed as model.json says (resized to H×W, greyscale if C = 1, multiplied
 *   by `rescale`, e.g. 1/255). The rescale is not folded in; it is stated in the model's
 *   metadata_props (`rescale`, `image_size`, `channels`, `resize`, `class_names`).
 * - A Transpose to NCHW starts the graph (ONNX's Conv/MaxPool/LRN are NCHW); before Flatten a
 *   Transpose back to NHWC keeps the flatten order Keras's and the engine's dense kernels expect.
 * - output `probabilities`: float32 [N, units] — the model's output activation is part of the
 *   graph: Sigmoid for one unit (the probability of the second class), Softmax over classes.
 *
 * Layers → nodes: Conv2D → Conv (kernel HWIO → OIHW, explicit pads from TensorFlow's 'same'
 * rule, group) [+ Relu]; BatchNorm → BatchNormalization (moving statistics); MaxPool → MaxPool
 * (explicit pads; ONNX pads max pooling with −∞, as TensorFlow does); LRN → LRN (ONNX's α is
 * divided by the window size: α_onnx = α·n for the engine's default 'sum' form); Dense → Gemm
 * [+ Relu]; ReLU → Relu; Sigmoid → Sigmoid; Dropout → nothing (inference).
 */
import { conv2dGeometry } from '../kernels/conv2d/geometry.js';
import { lrnParams } from '../kernels/lrn/lrn.js';
import { poolGeometry, type Pool2dOptions } from '../kernels/pool/geometry.js';
import type { ModelManifest } from '../nn/manifest.js';
import { modelFromManifest, parameterShapes } from '../nn/from-config.js';
import type { Conv2DOptions } from '../nn/layers/conv2d.js';
import type { LayerConfig } from '../nn/layers/layer.js';
import type { LrnOptions } from '../kernels/lrn/lrn.js';
import { encodeOnnxModel, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnx-proto.js';

export class OnnxExportError extends Error {}

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7;
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'probabilities';

export interface OnnxExportTensor {
  shape: readonly number[];
  data: Float32Array;
}

/** HWIO [KH, KW, Cin/g, Cout] → OIHW [Cout, Cin/g, KH, KW]. */
export function hwioToOihw(k: Float32Array, [kh, kw, ci, co]: readonly number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let h = 0; h < kh!; h++)
    for (let w = 0; w < kw!; w++)
      for (let i = 0; i < ci!; i++)
        for (let o = 0; o < co!; o++) out[((o * ci! + i) * kh! + h) * kw! + w] = k[((h * kw! + w) * ci! + i) * co! + o]!;
  return out;
}

class GraphBuilder {
  nodes: OnnxNode[] = [];
  initializers: OnnxTensor[] = [];
  constructor(readonly tensors: Record<string, OnnxExportTensor>) {}

  node(opType: string, name: string, inputs: string[], attributes: OnnxAttribute[] = []): string {
    const out = `${name}:out`;
    this.nodes.push({ opType, name, inputs, outputs: [out], attributes });
    return out;
  }

  weight(param: string, data?: Float32Array, dims?: number[]): string {
    const t = this.tensors[param]!;
    this.initializers.push({ name: param, dims: dims ?? [...t.shape], data: data ?? t.data });
    return param;
  }
}

function convNode(g: GraphBuilder, c: LayerConfig, x: string, inShape: number[]): string {
  const o = c as unknown as Conv2DOptions;
  const kShape = g.tensors[`${c.name}.kernel`]!.shape as number[];
  const geo = conv2dGeometry([1, ...inShape], kShape, { stride: o.strides ?? 1, padding: o.padding ?? 'valid', groups: o.groups ?? 1 });
  const [kh, kw, ci, co] = kShape as [number, number, number, number];
  const w = g.weight(`${c.name}.kernel`, hwioToOihw(g.tensors[`${c.name}.kernel`]!.data, kShape), [co, ci, kh, kw]);
  const inputs = [x, w, ...(o.useBias === false ? [] : [g.weight(`${c.name}.bias`)])];
  const y = g.node('Conv', `${c.name}/Conv`, inputs, [
    { name: 'kernel_shape', ints: [kh, kw] },
    { name: 'strides', ints: [geo.sh, geo.sw] },
    { name: 'pads', ints: [geo.padT, geo.padL, geo.padB, geo.padR] },
    { name: 'dilations', ints: [1, 1] },
    { name: 'group', i: geo.groups },
  ]);
  return o.activation === 'relu' ? g.node('Relu', `${c.name}/Relu`, [y]) : y;
}

function poolNode(g: GraphBuilder, c: LayerConfig, x: string, inShape: number[]): string {
  const geo = poolGeometry([1, ...inShape], c as unknown as Pool2dOptions);
  const padB = Math.max((geo.OH - 1) * geo.SH + geo.KH - geo.H, 0) - geo.padT;
  const padR = Math.max((geo.OW - 1) * geo.SW + geo.KW - geo.W, 0) - geo.padL;
  return g.node('MaxPool', `${c.name}/MaxPool`, [x], [
    { name: 'kernel_shape', ints: [geo.KH, geo.KW] },
    { name: 'strides', ints: [geo.SH, geo.SW] },
    { name: 'pads', ints: [geo.padT, geo.padL, padB, padR] },
  ]);
}

function lrnNode(g: GraphBuilder, c: LayerConfig, x: string): string {
  const p = lrnParams(c as LrnOptions);
  // ONNX's window is floor((n−1)/2) channels before and ceil((n−1)/2) after; the engine's
  // is floor(n/2) before and floor((n−1)/2) after: the same for odd n only.
  if (p.size % 2 === 0) throw new OnnxExportError(`layer '${c.name}' (LRN): an even window size (${p.size}) is centred differently in ONNX`);
  return g.node('LRN', `${c.name}/LRN`, [x], [
    { name: 'size', i: p.size },
    { name: 'alpha', f: p.alphaEff * p.size },
    { name: 'beta', f: p.beta },
    { name: 'bias', f: p.k },
  ]);
}

/** The .onnx bytes of a model: its description (model.json) and its weights by engine name. */
export function exportOnnx(manifest: ModelManifest, tensors: Record<string, OnnxExportTensor>, producerVersion = '0.1.0'): Uint8Array {
  const model = modelFromManifest(manifest);
  const shapes = model.computeShapes();
  for (const [name, shape] of parameterShapes(model)) {
    const t = tensors[name];
    if (!t) throw new OnnxExportError(`the weights have no tensor '${name}'`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new OnnxExportError(`tensor '${name}' has shape [${t.shape.join(', ')}], the model needs [${shape.join(', ')}]`);
    }
  }
  const g = new GraphBuilder(tensors);
  let x = g.node('Transpose', 'input/to_NCHW', [ONNX_INPUT], [{ name: 'perm', ints: [0, 3, 1, 2] }]);
  let nchw = true;
  const cfg = model.config();
  cfg.layers.forEach((c, i) => {
    const inShape = i === 0 ? model.inputShape : shapes[i - 1]!;
    const need = (rank4: boolean) => {
      if (nchw !== rank4) throw new OnnxExportError(`layer '${c.name}' (${c.type}) on an input of shape [${inShape.join(', ')}] is not supported`);
    };
    switch (c.type) {
      case 'Conv2D':
        need(true);
        x = convNode(g, c, x, inShape);
        break;
      case 'MaxPool':
        need(true);
        x = poolNode(g, c, x, inShape);
        break;
      case 'LRN':
        need(true);
        x = lrnNode(g, c, x);
        break;
      case 'BatchNorm': {
        const p = (n: string) => g.weight(`${c.name}.${n}`);
        x = g.node('BatchNormalization', `${c.name}/BatchNormalization`, [x, p('gamma'), p('beta'), p('moving_mean'), p('moving_variance')], [
          { name: 'epsilon', f: Number(c.epsilon ?? 1e-3) },
        ]);
        break;
      }
      case 'Flatten':
        if (nchw) x = g.node('Transpose', `${c.name}/to_NHWC`, [x], [{ name: 'perm', ints: [0, 2, 3, 1] }]);
        x = g.node('Flatten', `${c.name}/Flatten`, [x], [{ name: 'axis', i: 1 }]);
        nchw = false;
        break;
      case 'Dense': {
        need(false);
        const inputs = [x, g.weight(`${c.name}.kernel`), ...(c.useBias === false ? [] : [g.weight(`${c.name}.bias`)])];
        x = g.node('Gemm', `${c.name}/Gemm`, inputs);
        if (c.activation === 'relu') x = g.node('Relu', `${c.name}/Relu`, [x]);
        break;
      }
      case 'ReLU':
        x = g.node('Relu', `${c.name}/Relu`, [x]);
        break;
      case 'Sigmoid':
        x = g.node('Sigmoid', `${c.name}/Sigmoid`, [x]);
        break;
      case 'Dropout':
        break;
      default:
        throw new OnnxExportError(`layer '${c.name}' (${c.type}): no ONNX export for this layer type`);
    }
  });
  const outShape = shapes.at(-1)!;
  if (nchw || outShape.length !== 1) throw new OnnxExportError(`the model's output has shape [${outShape.join(', ')}]; a flat [units] output is needed`);
  const act = model.outputActivation;
  // The engine's model ends in logits; the graph ends in the output activation.
  g.nodes.at(-1)!.outputs = ['logits'];
  g.nodes.push({
    opType: act === 'sigmoid' ? 'Sigmoid' : 'Softmax',
    name: `output/${act === 'sigmoid' ? 'Sigmoid' : 'Softmax'}`,
    inputs: ['logits'],
    outputs: [ONNX_OUTPUT],
    attributes: act === 'softmax' ? [{ name: 'axis', i: 1 }] : [],
  });

  const p = manifest.preprocessing;
  const channels = model.inputShape[2]!;
  const inputDoc = `NHWC float32 [N, ${model.inputShape.join(', ')}]: images resized to ${p.imageSize}×${p.imageSize} (${p.resize}), ${channels === 1 ? 'greyscale' : 'RGB'}, pixel values (0-255) multiplied by ${p.rescale}`;
  const outputDoc = act === 'sigmoid' ? `probability of '${manifest.classNames[1]}' (of ${manifest.classNames.join(', ')})` : `probabilities of ${manifest.classNames.join(', ')}`;
  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET,
    producerName: 'alexnet-webgpu',
    producerVersion,
    doc: `${cfg.name}: input ${inputDoc}; output ${outputDoc}.`,
    graph: {
      name: cfg.name,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: ONNX_INPUT, dims: ['N', ...model.inputShape], doc: inputDoc }],
      outputs: [{ name: ONNX_OUTPUT, dims: ['N', outShape[0]!], doc: outputDoc }],
    },
    metadata: {
      class_names: JSON.stringify(manifest.classNames),
      image_size: String(p.imageSize),
      channels: String(channels),
      rescale: String(p.rescale),
      resize: p.resize,
      input_layout: 'NHWC',
      output_activation: act,
    },
  });
}
