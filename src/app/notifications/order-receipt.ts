/**
 * The receipt for a paid order (SPEC §9, issue 12): its lines with original − discount − voucher
 * = payable, the totals and where the money came from. Queued by queue-receipts.ts.
 */
import { formatUsd, max, subtract } from '../../domain/money.ts';
import type { LineItem, Order } from '../../domain/order.ts';
import type { Mail } from './queue-mail.ts';

function lineText(l: LineItem, i: number): string {
  const what = [
    `${l.product} × ${l.quantity}`,
    l.duration ? `for ${l.duration}` : null,
    l.instanceId ? `(${l.instanceId})` : null,
  ]
    .filter(Boolean)
    .join(' ');
  const amounts =
    l.discount > 0 || l.voucher > 0
      ? `${formatUsd(l.original)} − discount ${formatUsd(l.discount)} − voucher ${formatUsd(l.voucher)} = ${formatUsd(l.payable)}`
      : formatUsd(l.payable);
  return `  ${i + 1}. ${what}: ${amounts} USD`;
}

/** The receipt of a paid order; `fromCard` is what the card paid (with arrears it also covered). */
export function receiptMail(order: Order, sources: { fromCard: number }): Mail {
  const totals = [
    `Original: ${formatUsd(order.original)} USD`,
    ...(order.discount > 0 ? [`Discount: ${formatUsd(order.discount)} USD`] : []),
    ...(order.voucher > 0 ? [`Vouchers: ${formatUsd(order.voucher)} USD`] : []),
    `Paid: ${formatUsd(order.payable)} USD`,
  ];
  const paidBy = [
    ...(order.voucher > 0 ? [`vouchers ${formatUsd(order.voucher)}`] : []),
    ...(sources.fromCard > 0 ? [`card ${formatUsd(sources.fromCard)}`] : []),
    `balance ${formatUsd(max(subtract(order.payable, sources.fromCard), 0))}`,
  ];
  return {
    subject: `Receipt for order ${order.id}: ${formatUsd(order.payable)} USD paid`,
    body: [
      'Hello,',
      '',
      `Thank you for your payment. Order ${order.id} (${order.product}, ${order.type}) is paid.`,
      '',
      ...order.lines.map(lineText),
      '',
      ...totals,
      `Paid from: ${paidBy.join(', ')}`,
      '',
      `The order's details are in the console (Billing → Orders) and at GET /v1/orders/${order.id}.`,
    ].join('\n'),
  };
}
