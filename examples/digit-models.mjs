// The demo's two digit classifiers as lists of layers, for sequential(): the MLP and the CNN that
// `npm run demo` trains (mnist.mjs) and the browser demo trains too (web/fit-digits.js). Layers in
// `augment` (randomTranslation, say) act on the 28×28 image in front of the rest. Browser-safe: it
// imports only @webgrad/layers.
import { conv2d, dense, dropout, flatten, maxPooling2d, reshape } from '@webgrad/layers';

const PIXELS = 28 * 28;

/** MLP: dropout on the pixels too (lightly) and on both hidden layers: with 8,000 digits it overfits fast. */
export function mlpLayers({ augment = [] } = {}) {
  return [
    ...(augment.length ? [reshape({ targetShape: [28, 28, 1], inputShape: [PIXELS] }), ...augment, flatten()] : []),
    dropout({ rate: 0.1, inputShape: [PIXELS] }),
    dense({ units: 256, activation: 'relu', kernelInitializer: 'heNormal' }),
    dropout({ rate: 0.3 }),
    dense({ units: 128, activation: 'relu', kernelInitializer: 'heNormal' }),
    dropout({ rate: 0.3 }),
    dense({ units: 10, activation: 'softmax' }),
  ];
}

/** CNN: conv(32, 3×3, relu) - maxpool - conv(64, 3×3, relu) - maxpool - flatten - dense(128) - dropout - dense(10). */
export function cnnLayers({ augment = [] } = {}) {
  return [
    reshape({ targetShape: [28, 28, 1], inputShape: [PIXELS] }),
    ...augment,
    conv2d({ filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: 'heNormal' }),
    maxPooling2d({ poolSize: 2 }),
    conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: 'heNormal' }),
    maxPooling2d({ poolSize: 2 }),
    flatten(),
    dense({ units: 128, activation: 'relu', kernelInitializer: 'heNormal' }),
    dropout({ rate: 0.5 }),
    dense({ units: 10, activation: 'softmax' }),
  ];
}
