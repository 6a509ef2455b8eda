/**
 * The built-in demo and the random-weight model recipes it is made from (also usable to build test
 * models of the five architectures).
 * @module
 */
export { buildDemoModels, createDemoBuilder, DEMO_MMPROJ, type DemoBuildOptions, type DemoBuildProgress } from "./build.js";
export { GEMMA3_27B_MMPROJ, writeRandomMmproj, type MmprojSpec } from "./mmproj.js";
export {
  buildModel,
  DIMS,
  RECIPE_ARCHS,
  Rng,
  tensorPlans,
  WEIGHT_TYPES,
  type BuildModelOptions,
  type Quantizer,
  type RecipeArch,
  type RecipeDefect,
  type RecipeVocab,
  type TensorKind,
  type TensorPlan,
  type WeightType,
} from "./recipes.js";
export { spmVocab, type SpmVocab } from "./spm-vocab.js";
export { DEMO_VOCABS, demoVocabPath, loadDemoVocab, type DemoVocabName } from "./vocab.js";
