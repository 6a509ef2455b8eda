/**
 * The engine: load a GGUF model and generate with it.
 * @module
 */
export { loadModel, setThreadBudget, supportedArchitectures, threadBudget, traceLayers, DEFAULT_CONTEXT_SIZE, MAX_PARALLEL } from "./Model.js";
export type { ArchName, KvCacheType, LayerTap } from "./Model.js";
export { decodeImage, sniffImageFormat, MAX_IMAGE_PIXELS } from "./image.js";
export type { DecodedImage, ImageFormat } from "./image.js";
export type { ImageTensor, ImageInput, VisionInfo } from "./vision.js";
