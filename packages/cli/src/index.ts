// @proxyless/cli: the `proxyless` command-line interface, and its pieces for programmatic use.
export { createProgram, runCli, VERSION } from './cli.js';
export { ProgressPlugin, searchEpochLine, trainEpochLine, trainProgressCallbacks, type ProgressPluginOptions } from './progress-plugin.js';
export { EpochProgress, RunEta, type EpochProgressOptions, type EpochStartInfo, type RunPlan, type StepStats } from './progress.js';
export { Output, processIo, type CliIo, type OutputOptions, type WritableText } from './output.js';
export { parseTrainOptions, TRAIN_FLAGS } from './commands/train.js';
export { UsageError, ExitError, exitCodeOf } from './errors.js';
export { prepareRuntime } from './runtime.js';
export * as format from './format.js';
