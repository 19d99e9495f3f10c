#include "wedesk/schema/all.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "wedesk/directory/schema.hpp"
#include "wedesk/kb/schema.hpp"
#include "wedesk/outbox/schema.hpp"
#include "wedesk/reset/schema.hpp"
#include "wedesk/tickets/schema.hpp"

namespace wedesk::schema {

namespace {

std::vector<store::Migration> Collect() {
    std::vector<store::Migration> all;
    for (const auto* part :
         {&store::CoreMigrations(), &tickets::Migrations(), &kb::Migrations(), &reset::Migrations(),
          &directory::Migrations(), &outbox::Migrations()}) {
        all.insert(all.end(), part->begin(), part->end());
    }
    std::sort(all.begin(), all.end(), [](const store::Migration& a, const store::Migration& b) {
        return a.version < b.version;
    });
    for (std::size_t i = 1; i < all.size(); ++i) {
        if (all[i].version == all[i - 1].version) {
            throw std::logic_error("migrations " + std::string(all[i - 1].name) + " and " +
                                   all[i].name + " share version " +
                                   std::to_string(all[i].version));
        }
    }
    return all;
}

}  // namespace

const std::vector<store::Migration>& All() {
    static const std::vector<store::Migration> all = Collect();
    return all;
}

}  // namespace wedesk::schema
