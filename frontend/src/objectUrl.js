// Shows a Blob (a drawing, a chosen file) in an <img>: a ref callback that gives the element an object URL
// for the Blob and revokes it when the element goes or shows another Blob. The URL belongs to the DOM element
// rather than to React state, so that nothing is set in an effect and no URL outlives its image (StrictMode's
// extra attach and detach included).
import { useCallback } from 'react';

export function useObjectUrlSrc(blob) {
  return useCallback(
    (img) => {
      if (!img || !blob) return undefined;
      const url = URL.createObjectURL(blob);
      img.src = url;
      return () => URL.revokeObjectURL(url);
    },
    [blob],
  );
}
