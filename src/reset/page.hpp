#pragma once
// Private to reset/: the HTML of the /reset/{token} pages. Simple, mobile-friendly (works in
// WeCom's in-app browser), every dynamic value escaped.

#include <string>

namespace wedesk::reset::page {

std::string Escape(const std::string& s);
/// A page with a title and one message.
std::string Message(const std::string& title, const std::string& text);
/// The new-password form posting to `action_url`; `error` shown above it when not empty;
/// `nonce` travels back in a hidden field (the anti-CSRF check of SubmitForm).
std::string Form(const std::string& action_url, const std::string& account,
                 const std::string& policy, const std::string& error, int min_length,
                 const std::string& nonce);

}  // namespace wedesk::reset::page
