export * from './hub-config';
export * from './hub-config.module';
export { ConfigError, EnvSource, knownVariables, loadHubConfig, parseSecretList } from './load-hub-config';
export { SECRET_VARIABLES } from './hub-env.schema';
