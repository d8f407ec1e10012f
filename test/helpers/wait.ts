/**
 * Polls `check` until it returns true, at most `attempts` times `stepMs` apart. Tests use it to
 * wait for an effect that crosses a process or a socket, never to measure time.
 */
export async function waitFor(check: () => boolean, attempts = 300, stepMs = 10): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}

/** As `waitFor`, for a check that has to ask over the network. */
export async function waitForAsync(
  check: () => Promise<boolean>,
  attempts = 300,
  stepMs = 10,
): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}
