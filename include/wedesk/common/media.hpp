#pragma once
/// MediaSource: where the files users send in the chat come from. WeCom keeps them 3 days
/// behind a media_id (media/get); wecom::ApiClient is the production source, and the tickets
/// module fetches through this interface so it needs no WeCom client of its own.

#include <cstddef>
#include <string>

#include "wedesk/common/result.hpp"

namespace wedesk {

/// A downloaded media file.
struct MediaFile {
    std::string bytes;
    std::string content_type;  ///< as the source sent it, e.g. "image/jpeg"
    std::string file_name;     ///< the source's name for it ("" when none)
};

class MediaSource {
public:
    virtual ~MediaSource() = default;
    /// The file behind `media_id`, or an error; more than `max_bytes` is Errc::kTooLarge and
    /// is not read further. Bounded by the source's deadline.
    virtual Result<MediaFile> Download(const std::string& media_id, std::size_t max_bytes) = 0;
    /// True when a later attempt may succeed (network, busy); false for an expired id, a file
    /// too large, a refused request.
    virtual bool Retryable(const Error& error) const = 0;
};

}  // namespace wedesk
