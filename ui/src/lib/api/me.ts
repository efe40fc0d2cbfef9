// The user's own card.
import { call } from './ipc';
import type { Card } from './types';

/** The default own card, or null before the user made one. */
export const getMe = () => call('me_get');

/** Create (when there is none) or replace the default own card. Rejects with
 *  kind "invalid_input" and `fields` naming every refused value. */
export const saveMe = (card: Card) => call('me_save', { card });

/** Patent claim 2: a new own card seeded from a received card's company fields. */
export const meFromReceived = (id: string) => call('me_from_received', { id });

/** Check one value as typed; resolves to the normalised value (E.164, https://…). */
export const validateField = (field: string, value: string) =>
  call('validate_field', { field, value });
