// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "tensorpool/error.hpp"

#include <memory>
#include <string>

namespace tp::transport::aeron {

/// An Aeron media driver running inside this process (libaeron_driver), for single-process use.
/// Settings come from Aeron's AERON_* environment variables; the directory from `directory`
/// (empty: Aeron's default). The threading mode is SHARED unless AERON_THREADING_MODE says
/// otherwise. Closed (threads joined, directory removed) on destruction.
class AeronEmbeddedDriver {
public:
    /// Starts the driver. Fails when the build has no driver library or another live driver owns
    /// the directory.
    [[nodiscard]] static auto start(const std::string& directory) -> Expected<std::unique_ptr<AeronEmbeddedDriver>>;

    AeronEmbeddedDriver(const AeronEmbeddedDriver&) = delete;
    auto operator=(const AeronEmbeddedDriver&) -> AeronEmbeddedDriver& = delete;
    AeronEmbeddedDriver(AeronEmbeddedDriver&&) = delete;
    auto operator=(AeronEmbeddedDriver&&) -> AeronEmbeddedDriver& = delete;
    ~AeronEmbeddedDriver();

    /// The driver's directory (resolved).
    [[nodiscard]] auto directory() const noexcept -> const std::string& { return m_directory; }

private:
    AeronEmbeddedDriver() = default;
    void* m_context{nullptr}; // aeron_driver_context_t*
    void* m_driver{nullptr};  // aeron_driver_t*
    std::string m_directory;
};

} // namespace tp::transport::aeron
