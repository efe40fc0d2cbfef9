// The user's own card.
import { call } from './ipc';
import type { Card, OwnCard } from './types';

/** The default own card, or null before the user made one. */
export const getMe = () => call<OwnCard | null>('me_get');

/** Create (when there is none) or replace the default own card. Rejects with
 *  kind "invalid_input" and `fields` naming every refused value. */
export const saveMe = (card: Card) => call<OwnCard>('me_save', { card });

/** Patent claim 2: a new own card seeded from a received card's company fields. */
export const meFromReceived = (id: string) => call<OwnCard>('me_from_received', { id });

/** Check one value as typed; resolves to the normalised value (E.164, https://…). */
export const validateField = (field: string, value: string) =>
  call<string>('validate_field', { field, value });
