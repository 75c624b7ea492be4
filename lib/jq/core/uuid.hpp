#pragma once

#include <string>

namespace jq {

// A time-ordered (version 7) UUID in its canonical lower-case form: the
// time in milliseconds, then 74 bits from the kernel's cryptographic
// generator (getrandom). Used as job correlation ids and worker lock
// tokens.
std::string make_uuid();

} // namespace jq
