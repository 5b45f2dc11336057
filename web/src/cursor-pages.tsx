/**
 * Cursor pagination for the console's lists (SPEC §1: `starting_after`, `has_more`): the cursors
 * of the pages before this one, and the Previous / Next buttons that move between them.
 */
import { Button, Space } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

export function useCursorPages() {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  return {
    /** the query's `starting_after`, when not on the first page */
    cursor,
    atStart: cursors.length === 0,
    previous: () => setCursors((c) => c.slice(0, -1)),
    next: (lastId: string) => setCursors((c) => [...c, lastId]),
    reset: () => setCursors([]),
  };
}

export function CursorPager({
  pages,
  page,
}: {
  pages: ReturnType<typeof useCursorPages>;
  page: { data: { id: string }[]; has_more: boolean } | undefined;
}) {
  const { t } = useTranslation();
  return (
    <Space style={{ marginTop: 16 }}>
      <Button disabled={pages.atStart} onClick={pages.previous}>
        {t('orders.previous')}
      </Button>
      <Button
        disabled={!page?.has_more}
        onClick={() => {
          const last = page?.data.at(-1);
          if (last) pages.next(last.id);
        }}
      >
        {t('orders.next')}
      </Button>
    </Space>
  );
}
