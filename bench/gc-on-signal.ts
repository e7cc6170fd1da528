// Preloaded (`--import`) into processes whose memory the bench measures, started with --expose-gc:
// SIGUSR2 runs a full garbage collection, so resident memory is read after garbage is gone.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
});
