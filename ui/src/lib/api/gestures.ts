// Lift-to-call / put-down-to-text (patent [0020]): the UI feeds accelerometer samples to the
// Rust classifier of the open card; a hit comes back with the call or SMS to run after a
// countdown.
import { call } from './ipc';

import type { Sample } from '../generated/types';

export type { GestureHit, Sample } from '../generated/types';

export const gestureStart = (id: string) => call('gesture_start', { id });
export const gestureStop = (id: string) => call('gesture_stop', { id });
export const gestureFeed = (id: string, samples: Sample[]) =>
  call('gesture_feed', { id, samples });
