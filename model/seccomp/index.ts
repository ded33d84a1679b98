// The seccomp layer of the model: classic BPF (verifier, interpreter, disassembler, translation
// to JavaScript), return values and filter stacking, and an assembler with libseccomp's rule shape.
// Kernel sources: kernel/seccomp.c, net/core/filter.c; see each module's header.

export * from './bpf';
export * from './jit';
export * from './actions';
export * from './asm';
