import { describe, expect, it, vi } from 'vitest';
import { renderHook } from '@testing-library/react';
import { useObjectUrlSrc } from './objectUrl.js';

describe('useObjectUrlSrc', () => {
  it("gives the image an object URL for the Blob, and revokes it when the image lets go", () => {
    const create = vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:one');
    const revoke = vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    const blob = new Blob(['png'], { type: 'image/png' });
    const { result } = renderHook(() => useObjectUrlSrc(blob));
    const img = document.createElement('img');
    const detach = result.current(img);
    expect(create).toHaveBeenCalledWith(blob);
    expect(img.getAttribute('src')).toBe('blob:one');
    expect(revoke).not.toHaveBeenCalled();
    detach();
    expect(revoke).toHaveBeenCalledWith('blob:one');
  });

  it('keeps the same callback for the same Blob, and makes a new one for another', () => {
    const first = new Blob(['a']);
    const { result, rerender } = renderHook(({ blob }) => useObjectUrlSrc(blob), { initialProps: { blob: first } });
    const callback = result.current;
    rerender({ blob: first });
    expect(result.current).toBe(callback);
    rerender({ blob: new Blob(['b']) });
    expect(result.current).not.toBe(callback);
  });
});
