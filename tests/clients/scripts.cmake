# Tests of the Python and Node helpers (clients/python, clients/node) and of
# their order-workflow examples. Each runs through tests/lib/with-server, which
# starts $SWARMLOG_SERVER on a free loopback port with a fresh data directory
# and exports SWARMLOG_PORT. Needs what .ci/deps installs: python3-redis,
# nodejs + the npm packages pinned in clients/node/package-lock.json (the Node
# tests exit 77, skipped, when those are missing outside CI).
set(SWARMLOG_SCRIPTS_WITH_SERVER ${CMAKE_CURRENT_SOURCE_DIR}/../lib/with-server)
set(SWARMLOG_SCRIPTS_CLIENTS ${PROJECT_SOURCE_DIR}/clients)
if(TARGET swarmlog-server)
  set(SWARMLOG_SCRIPTS_SERVER $<TARGET_FILE:swarmlog-server>)
else()
  set(SWARMLOG_SCRIPTS_SERVER ${PROJECT_BINARY_DIR}/server/swarmlog-server)
endif()
# Debian's python3 has the redis module; a pyenv python3 first on PATH may not.
set(SWARMLOG_SCRIPTS_PY /usr/bin/python3)
find_program(SWARMLOG_SCRIPTS_NODE node)

# swarmlog_client_script_test(<name> <command...>): each test must finish in
# well under a minute; with-server stops the command after 50 s so that a hang
# still prints the server log before ctest's own timeout.
function(swarmlog_client_script_test name)
  add_test(NAME ${name} COMMAND ${SWARMLOG_SCRIPTS_WITH_SERVER} --timeout 50 -- ${ARGN})
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "SWARMLOG_SERVER=${SWARMLOG_SCRIPTS_SERVER}"
    LABELS clients
    TIMEOUT 60
    SKIP_RETURN_CODE 77)
endfunction()

swarmlog_client_script_test(clients_python_helpers
  ${SWARMLOG_SCRIPTS_PY} ${SWARMLOG_SCRIPTS_CLIENTS}/python/tests/test_swarmlog.py)
swarmlog_client_script_test(clients_python_orders_exactly_once
  ${SWARMLOG_SCRIPTS_PY} ${SWARMLOG_SCRIPTS_CLIENTS}/python/tests/test_orders.py)

if(SWARMLOG_SCRIPTS_NODE)
  swarmlog_client_script_test(clients_node_helpers
    ${SWARMLOG_SCRIPTS_NODE} ${SWARMLOG_SCRIPTS_CLIENTS}/node/test/swarmlog.test.js)
  swarmlog_client_script_test(clients_node_orders_exactly_once
    ${SWARMLOG_SCRIPTS_NODE} ${SWARMLOG_SCRIPTS_CLIENTS}/node/test/orders.test.js)
else()
  message(STATUS "node not found: the clients_node_* tests are not registered (run .ci/deps)")
endif()
