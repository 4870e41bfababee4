// @webgrad/layers: the Keras/TF.js-style Sequential API. It builds on @webgrad/core alone.
// The layers land with their own issue; this shell re-exports core so users have one import today.
export * from '@webgrad/core';
