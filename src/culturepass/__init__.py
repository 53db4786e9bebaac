"""culturepass: a youth culture pass platform."""
