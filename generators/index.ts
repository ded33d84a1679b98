// fast-check generators for socket() calls, environments, seccomp stacks and call sequences.
// Sources: see each module.

export * from './values';
export * from './env';
export * from './seccomp';
export * from './commands';
