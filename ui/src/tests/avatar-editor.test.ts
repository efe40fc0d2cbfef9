// The editor's avatar: pick, crop (keys, drag, zoom), apply, preview, remove, save. jsdom
// cannot decode or encode images, so the DOM side (lib/avatar-image) is replaced; the crop
// math it receives is the real one.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import Editor from '../screens/Editor.svelte';
import MyCard from '../screens/MyCard.svelte';
import CardDetail from '../screens/CardDetail.svelte';
import { session } from '../lib/session.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { emptyCard, type Card, type OwnCard, type ReceivedCard } from '../lib/api/types';
import { cropRect, type Crop } from '../lib/avatar-crop';

const image = vi.hoisted(() => ({
  loadImage: vi.fn(),
  renderAvatar: vi.fn(),
  releaseImage: vi.fn(),
}));
vi.mock('../lib/avatar-image', async (orig) => ({
  ...(await orig<typeof import('../lib/avatar-image')>()),
  loadImage: image.loadImage,
  renderAvatar: image.renderAvatar,
  releaseImage: image.releaseImage,
}));

const JPEG = { mime: 'image/jpeg', data: '/9j/4AAQSkZJRgABAQ' };
const own = (over: Partial<Card> = {}): OwnCard =>
  ({ ...emptyCard(), name: '张三', id: 'o1', version: 1, default: true, created_at: '', updated_at: '', ...over }) as OwnCard;

function saveCore() {
  const saved: Card[] = [];
  mockIPC((cmd, args) => {
    if (cmd === 'me_save') {
      const card = (args as { card: Card }).card;
      saved.push(card);
      return { ...own(), ...card };
    }
    return null;
  });
  return saved;
}

async function pickPicture(w = 800, h = 600) {
  image.loadImage.mockResolvedValueOnce({ el: {} as HTMLImageElement, url: 'blob:picked', w, h });
  const file = new File([new Uint8Array([0xff, 0xd8, 0xff])], 'me.jpg', { type: 'image/jpeg' });
  await fireEvent.change(screen.getByTestId('avatar-file'), { target: { files: [file] } });
  return screen.findByTestId('avatar-crop');
}

const shownImage = () => screen.getByTestId('avatar-crop').querySelector('img')!;

beforeEach(() => {
  setLocale('en');
  session.settings = { server_url: '', language: 'en', theme: 'auto', onboarded: true, gestures: false, gestures_swapped: false };
  session.me = own();
  image.loadImage.mockReset();
  image.renderAvatar.mockReset();
  image.releaseImage.mockReset();
});
afterEach(() => clearMocks());

describe('avatar in the editor', () => {
  it('pick → square crop moved with keys and a drag, zoomed with the slider → 256 px JPEG saved with the card', async () => {
    const saved = saveCore();
    render(Editor);
    expect(screen.queryByTestId('avatar-preview')).toBeNull();
    expect(screen.queryByTestId('avatar-remove')).toBeNull();
    expect(screen.getByTestId('avatar-file')).toHaveAttribute('accept', 'image/*');

    const crop = await pickPicture(800, 600);
    expect(crop).toHaveAttribute('role', 'application');
    expect(crop).toHaveAttribute('tabindex', '0');
    expect(crop).toHaveAccessibleName('Crop the photo');
    const zoom = screen.getByTestId('avatar-zoom') as HTMLInputElement;
    expect(zoom).toHaveAccessibleName('Zoom');
    expect(Number(zoom.value)).toBe(1);
    // Cover-fit in the 240 px view: the 600 px height fills it, so scale 0.4; centred.
    expect(shownImage().style.width).toBe('320px');
    expect(shownImage().style.transform).toBe('translate(-40px, 0px)');

    await fireEvent.keyDown(crop, { key: '+' });
    expect(Number(zoom.value)).toBeCloseTo(1.1);
    await fireEvent.keyDown(crop, { key: '-' });
    await fireEvent.keyDown(crop, { key: '-' });
    expect(Number(zoom.value)).toBe(1); // not below cover-fit
    await fireEvent.keyDown(crop, { key: 'ArrowRight' });
    expect(shownImage().style.transform).toBe('translate(-30px, 0px)');

    await fireEvent.pointerDown(crop, { pointerId: 1, clientX: 100, clientY: 100 });
    await fireEvent.pointerMove(crop, { pointerId: 1, clientX: 1000, clientY: 100 });
    await fireEvent.pointerUp(crop, { pointerId: 1 });
    expect(shownImage().style.transform).toBe('translate(0px, 0px)'); // clamped at the left edge

    await fireEvent.input(zoom, { target: { value: '2' } });
    image.renderAvatar.mockResolvedValueOnce(JPEG);
    await fireEvent.click(screen.getByTestId('avatar-apply'));
    const preview = await screen.findByTestId('avatar-preview');
    expect(preview).toHaveAttribute('src', `data:image/jpeg;base64,${JPEG.data}`);
    expect(screen.queryByTestId('avatar-crop')).toBeNull();
    // The crop handed to the encoder: zoom 2 of the 600 px side, kept inside the image.
    const c = image.renderAvatar.mock.calls[0][1] as Crop;
    expect(c.zoom).toBe(2);
    const r = cropRect(c);
    expect(r.size).toBe(300);
    expect(r.sx).toBeGreaterThanOrEqual(0);
    expect(r.sx + r.size).toBeLessThanOrEqual(800);
    expect(image.releaseImage).toHaveBeenCalled();

    await fireEvent.click(screen.getByTestId('editor-save'));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0].avatar).toEqual(JPEG);
  });

  it('remove sends avatar: null', async () => {
    session.me = own({ avatar: JPEG });
    const saved = saveCore();
    render(Editor);
    expect(screen.getByTestId('avatar-preview')).toHaveAttribute('src', `data:image/jpeg;base64,${JPEG.data}`);
    await fireEvent.click(screen.getByTestId('avatar-remove'));
    expect(screen.queryByTestId('avatar-preview')).toBeNull();
    await fireEvent.click(screen.getByTestId('editor-save'));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0].avatar).toBeNull();
  });

  it('cancel leaves the avatar as it was; an unreadable file says so', async () => {
    session.me = own({ avatar: JPEG });
    saveCore();
    render(Editor);
    await pickPicture();
    await fireEvent.click(screen.getByTestId('avatar-cancel'));
    expect(screen.getByTestId('avatar-preview')).toHaveAttribute('src', `data:image/jpeg;base64,${JPEG.data}`);
    expect(image.renderAvatar).not.toHaveBeenCalled();

    const { ImageUnreadable } = await import('../lib/avatar-image');
    image.loadImage.mockRejectedValueOnce(new ImageUnreadable());
    await fireEvent.change(screen.getByTestId('avatar-file'), { target: { files: [new File(['x'], 'x.txt')] } });
    expect(await screen.findByTestId('avatar-error')).toHaveTextContent('not a picture');
    expect(screen.queryByTestId('avatar-crop')).toBeNull();
  });

  it('a picture that stays too big at the lowest quality is refused with advice', async () => {
    saveCore();
    render(Editor);
    await pickPicture();
    const { AvatarTooBig } = await import('../lib/avatar-crop');
    image.renderAvatar.mockRejectedValueOnce(new AvatarTooBig(70_000));
    await fireEvent.click(screen.getByTestId('avatar-apply'));
    expect(await screen.findByTestId('avatar-error')).toHaveTextContent('Try zooming in');
    expect(screen.getByTestId('avatar-crop')).toBeInTheDocument();
  });

  it('the core’s refusal of the avatar is shown at the picker', async () => {
    mockIPC((cmd) => {
      if (cmd === 'me_save') {
        throw { kind: 'invalid_input', message: 'avatar too big', fields: [{ field: 'avatar', message: 'the avatar is 70 KiB; the limit is 64 KiB' }] };
      }
      return null;
    });
    render(Editor);
    await fireEvent.click(screen.getByTestId('editor-save'));
    expect(await screen.findByTestId('error-avatar')).toHaveTextContent('limit is 64 KiB');
    expect(screen.getByTestId('avatar-file')).toHaveAttribute('aria-invalid', 'true');
  });
});

describe('avatar where cards show one', () => {
  it('my card', async () => {
    session.me = own({ avatar: JPEG });
    mockIPC(() => null);
    render(MyCard);
    expect(screen.getByTestId('me-avatar')).toHaveAttribute('src', `data:image/jpeg;base64,${JPEG.data}`);
    expect(screen.getByTestId('me-avatar')).toHaveAccessibleName('Photo of 张三');
  });

  it('a received card', async () => {
    const rc: ReceivedCard = {
      id: 'r1', name: '李四', source: 'link', live: false, status: 'active', remote_id: null, remote_version: null,
      added_at: '', updated_at: '', last_seen_at: null, synced_at: null, changed: false, notes: '', tags: [], display: {},
      card: { ...emptyCard(), name: '李四', avatar: { mime: 'image/png', data: 'iVBORw0KGgo' } },
    };
    mockIPC((cmd) => {
      if (cmd === 'card_view' || cmd === 'card_refresh') return { card: rc, changes: [], partial: false, synced_at: null, refresh: null };
      if (cmd === 'card_actions') return [];
      if (cmd === 'action_labels') return {};
      return null;
    });
    render(CardDetail, { id: 'r1' });
    expect(await screen.findByTestId('detail-avatar')).toHaveAttribute('src', 'data:image/png;base64,iVBORw0KGgo');
  });

  it('none when the card has none', async () => {
    session.me = own();
    mockIPC(() => null);
    render(MyCard);
    expect(screen.queryByTestId('me-avatar')).toBeNull();
  });
});
