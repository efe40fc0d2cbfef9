// Lift-to-call / put-down-to-text (patent [0020]): the UI feeds accelerometer samples to the
// Rust classifier of the open card; a hit comes back with the call or SMS to run after a
// countdown.
import { call } from './ipc';
import type { Action } from './actions';

export interface Sample {
  t_ms: number;
  x: number;
  y: number;
  z: number;
}

export interface GestureHit {
  gesture: 'lift_up' | 'put_down';
  action: Action;
}

export const gestureStart = (id: string) => call<void>('gesture_start', { id });
export const gestureStop = (id: string) => call<void>('gesture_stop', { id });
export const gestureFeed = (id: string, samples: Sample[]) =>
  call<GestureHit | null>('gesture_feed', { id, samples });
