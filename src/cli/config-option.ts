/** The `--config FILE` option every command shares, and loading the config it names. */
import type { Command } from 'commander';
import { ConfigError } from '../config/load-config.js';
import { loadResolvedConfig, type ResolvedConfig } from '../config/load-resolved-config.js';
import type { Config } from '../config/schema.js';

export function withConfigOption(command: Command): Command {
  return command.option('-c, --config <file>', 'YAML configuration file (every key can also be set with PORTCULLIS_<KEY>)');
}

/** Loads the configuration, its `{vault://…}` references resolved; throws ConfigError (exit 1, reported by runCommand). */
export async function loadConfigOrFail(io: { readonly env: Readonly<Record<string, string | undefined>> }, options: { config?: string }): Promise<Config> {
  return (await loadResolvedConfig({ file: options.config, env: io.env })).config;
}

/** Loads the configuration, its `{vault://…}` references resolved, or prints what is wrong and returns null (exit 1 is the caller's). */
export async function loadConfigOrReport(options: { config?: string }): Promise<Config | null> {
  return (await loadResolvedConfigOrReport(options))?.config ?? null;
}

/** Loads the configuration, or prints what is wrong and returns null; with the configuration as written and the references it holds. */
export async function loadResolvedConfigOrReport(options: { config?: string }): Promise<ResolvedConfig | null> {
  try {
    return await loadResolvedConfig({ file: options.config, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`portcullis: ${err.message}\n`);
      return null;
    }
    throw err;
  }
}
