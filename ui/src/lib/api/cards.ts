// Received cards: list, search, detail, the recipient's own notes and tags.
import { call } from './ipc';
import type { Sort } from './types';

export const listCards = (sort: Sort) => call('cards_list', { sort });

/** Instant search: names (pinyin and initials too), company, title, numbers, emails. */
export const searchCards = (query: string) => call('cards_search', { query });

/** One window of the list: with a query (not only spaces) its hits best first (`sort` does
 *  not apply), else every card in `sort` order; rows `offset..offset+limit` and the total. */
export const cardsWindow = (query: string, sort: Sort, offset: number, limit: number) =>
  call('cards_window', { query, sort, offset, limit });

/** One card; opening it clears its "changed" badge. */
export const openCard = (id: string) => call('card_open', { id });

export const setNotes = (id: string, notes: string) => call('card_set_notes', { id, notes });
export const addTag = (id: string, tag: string) => call('card_add_tag', { id, tag });
export const removeTag = (id: string, tag: string) => call('card_remove_tag', { id, tag });
export const deleteCard = (id: string) => call('card_delete', { id });
