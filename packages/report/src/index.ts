// @proxyless/report: a self-contained HTML report of a search run (curves, path probabilities over
// time, the derived architecture, expected vs measured latency, accuracy-vs-latency comparisons).
import { pluginModule } from '@proxyless/core';
import { reportPlugin } from './report-plugin.js';

export * from './candidates.js';
export * from './charts.js';
export * from './read-run.js';
export * from './render.js';
export * from './write-report.js';
export * from './report-plugin.js';

/** The plugin contract: a default-exported ContainerModule binding the `report` hook plugin. */
export default pluginModule(reportPlugin);
