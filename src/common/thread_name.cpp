#include "wedesk/common/thread_name.hpp"

#include <pthread.h>

#include <cstring>
#include <string>

namespace wedesk {

void SetThreadName(const char* name) {
    std::string n(name);
    if (n.size() > 15) {
        n.resize(15);
    }
    pthread_setname_np(pthread_self(), n.c_str());
}

}  // namespace wedesk
