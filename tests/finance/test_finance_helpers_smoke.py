from finance_helpers import link_venue, make_bank_account, make_booking, make_offer


def test_factories_build_a_used_booking_at_a_venue_linked_to_an_accepted_account(db):
    stock = make_offer(price_cents=1250)
    booking = make_booking(stock, quantity=2)
    account = make_bank_account(stock.offer.offerer)
    link = link_venue(stock.offer.venue, account)
    assert booking.amount_cents == 2500
    assert booking.status == "USED"
    assert link.bank_account.status == "ACCEPTED"
