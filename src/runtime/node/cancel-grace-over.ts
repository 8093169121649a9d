/** Resolves `abandoned` once the attempt has had its grace after the cancel signal fired; `clear`
 * disarms it (the attempt ended first). */
export function cancelGraceOver(signal: AbortSignal, graceMs: number) {
  let timer: NodeJS.Timeout | undefined;
  let startGrace = () => {};
  const over = new Promise<'abandoned'>((resolve) => {
    startGrace = () => {
      timer = setTimeout(() => resolve('abandoned'), graceMs);
    };
    if (signal.aborted) startGrace();
    else signal.addEventListener('abort', startGrace, { once: true });
  });
  return {
    over,
    clear: () => {
      signal.removeEventListener('abort', startGrace);
      clearTimeout(timer);
    },
  };
}
