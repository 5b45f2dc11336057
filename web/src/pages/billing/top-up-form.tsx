/**
 * The top-up amount (SPEC §5: POST /v1/billing/top-ups {amount_usd}): 1.00 to 100,000.00 with at
 * most two decimals, checked as typed text (never through a float), then handed on as a number.
 */
import { Button, Form, Input, Space } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

const AMOUNT = /^\d{1,6}(\.\d{1,2})?$/;

/** The amount as a number of USD when the text is a valid top-up, else null. */
export function topUpAmount(text: string): number | null {
  const s = text.trim();
  if (!AMOUNT.test(s)) return null;
  const [whole = '0', frac = ''] = s.split('.');
  const cents = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  if (cents < 100 || cents > 10_000_000) return null;
  return cents / 100;
}

export function TopUpForm({ onSubmit, busy }: { onSubmit: (amountUsd: number) => void; busy?: boolean }) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [touched, setTouched] = useState(false);
  const amount = topUpAmount(text);
  const showError = touched && amount === null;
  return (
    <Form
      layout="vertical"
      onFinish={() => {
        setTouched(true);
        if (amount !== null) onSubmit(amount);
      }}
    >
      <Form.Item
        label={t('billing.amount')}
        htmlFor="top-up-amount"
        validateStatus={showError ? 'error' : undefined}
        help={showError ? t('billing.amountInvalid') : undefined}
      >
        <Space.Compact style={{ width: '100%', maxWidth: 320 }}>
          <Input
            id="top-up-amount"
            inputMode="decimal"
            prefix="$"
            value={text}
            placeholder="100.00"
            onChange={(e) => {
              setText(e.target.value);
              setTouched(true);
            }}
          />
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('billing.topUp')}
          </Button>
        </Space.Compact>
      </Form.Item>
    </Form>
  );
}
