/** A quote's checks (POST /v1/orders/quote, SPEC §4): what would refuse the order now, and why. */
export interface QuoteCheck {
  /** the error code the order would get */
  code: string;
  message: string;
}

/** How a quote's payable would be paid now, by source (integer cents). */
export interface QuotePayment {
  fromVoucher: number;
  fromBalance: number;
  fromCard: number;
  arrearsCovered: number;
}
