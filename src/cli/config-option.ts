/** The `--config FILE` option every command shares, and loading the config it names. */
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';

export function withConfigOption(command: Command): Command {
  return command.option('-c, --config <file>', 'YAML configuration file (every key can also be set with PORTCULLIS_<KEY>)');
}

/** Loads the configuration or prints what is wrong and returns null. */
export function loadConfigOrReport(options: { config?: string }): Config | null {
  try {
    return loadConfig({ file: options.config, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`portcullis: ${err.message}\n`);
      return null;
    }
    throw err;
  }
}
