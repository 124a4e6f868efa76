// SPDX-License-Identifier: Apache-2.0
#include "transport/aeron/aeron_embedded_driver.hpp"

#include "transport/aeron/aeron_client.hpp"

#include <aeronmd.h>

#include <cstdlib>

namespace tp::transport::aeron {

auto AeronEmbeddedDriver::start(const std::string& directory) -> Expected<std::unique_ptr<AeronEmbeddedDriver>> {
    std::unique_ptr<AeronEmbeddedDriver> self(new AeronEmbeddedDriver());
    aeron_driver_context_t* context = nullptr;
    // aeron_driver_context_init reads Aeron's AERON_* environment variables.
    if (aeron_driver_context_init(&context) < 0) {
        return last_aeron_error("embedded Aeron media driver: aeron_driver_context_init");
    }
    self->m_context = context;
    if (!directory.empty() && aeron_driver_context_set_dir(context, directory.c_str()) < 0) {
        return last_aeron_error("embedded Aeron media driver: directory '" + directory + "'");
    }
    if (std::getenv("AERON_THREADING_MODE") == nullptr) {
        // One driver thread: the embedding process has its own work to do.
        aeron_driver_context_set_threading_mode(context, AERON_THREADING_MODE_SHARED);
    }
    aeron_driver_t* driver = nullptr;
    if (aeron_driver_init(&driver, context) < 0) {
        return last_aeron_error("embedded Aeron media driver in '" +
                                std::string(aeron_driver_context_get_dir(context)) + "'");
    }
    self->m_driver = driver;
    // Only a driver that owns the directory removes it at shutdown (a refused one must not).
    aeron_driver_context_set_dir_delete_on_shutdown(context, true);
    if (aeron_driver_start(driver, false) < 0) {
        return last_aeron_error("embedded Aeron media driver: start");
    }
    self->m_directory = aeron_driver_context_get_dir(context);
    return self;
}

AeronEmbeddedDriver::~AeronEmbeddedDriver() {
    if (m_driver != nullptr) {
        aeron_driver_close(static_cast<aeron_driver_t*>(m_driver));
    }
    if (m_context != nullptr) {
        aeron_driver_context_close(static_cast<aeron_driver_context_t*>(m_context));
    }
}

} // namespace tp::transport::aeron
