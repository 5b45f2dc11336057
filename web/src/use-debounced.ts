/** A value that settles `ms` after its last change, so typing does not send a request per key. */
import { useEffect, useState } from 'react';

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  const json = JSON.stringify(value);
  useEffect(() => {
    const id = setTimeout(() => setV(JSON.parse(json) as T), ms);
    return () => clearTimeout(id);
  }, [json, ms]);
  return v;
}
