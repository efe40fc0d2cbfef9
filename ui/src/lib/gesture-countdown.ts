// The countdown before a gesture's call or SMS: ticks once a second, runs the action at 0,
// and can be cancelled. Kept out of the component so it is testable with fake timers.
export interface Countdown {
  cancel(): void;
}

export function startCountdown(
  seconds: number,
  onTick: (left: number) => void,
  onDone: () => void,
  timers: { setInterval: typeof setInterval; clearInterval: typeof clearInterval } = globalThis,
): Countdown {
  let left = seconds;
  let done = false;
  onTick(left);
  const id = timers.setInterval(() => {
    left -= 1;
    if (left <= 0) {
      timers.clearInterval(id);
      if (!done) {
        done = true;
        onTick(0);
        onDone();
      }
    } else {
      onTick(left);
    }
  }, 1000);
  return {
    cancel() {
      done = true;
      timers.clearInterval(id);
    },
  };
}
