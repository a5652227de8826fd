# libswarmlog and swarmlog-tail (clients/c, clients/tools; issue 7). Included
# by tests/clients/CMakeLists.txt, so paths are relative to tests/clients.
#   client_c_offsets  offset maps, cursor files, JSON lines (no server)
#   client_c_api      connect/auth, publish, query/read paging, subscribe
#   client_c_tail     swarmlog-tail: resume, SIGKILL mid-stream, fault points
#   client_c_example  runs clients/c/example.c against a fresh server
find_package(Threads REQUIRED)
if(TARGET swarmlog-server)
  set(SWL_TEST_SERVER $<TARGET_FILE:swarmlog-server>)
else()
  set(SWL_TEST_SERVER ${PROJECT_BINARY_DIR}/server/swarmlog-server)
endif()

swarmlog_unit_test(client_c_offsets SOURCES c/test_offsets.c LIBS swarmlog swarmlog_test_harness)
set_tests_properties(client_c_offsets PROPERTIES LABELS clients TIMEOUT 120)

foreach(t api tail)
  swarmlog_unit_test(client_c_${t} SOURCES c/test_${t}.c LIBS swarmlog swarmlog_test_harness Threads::Threads)
  set_tests_properties(client_c_${t} PROPERTIES
    ENVIRONMENT "SWARMLOG_SERVER=${SWL_TEST_SERVER};SWARMLOG_TAIL=$<TARGET_FILE:swarmlog-tail>"
    LABELS "clients;integration"
    TIMEOUT 120)
  add_dependencies(client_c_${t} swarmlog-tail)
  if(TARGET swarmlog-server)
    add_dependencies(client_c_${t} swarmlog-server)
  endif()
endforeach()

add_test(NAME client_c_example
  COMMAND ${PROJECT_SOURCE_DIR}/tests/lib/with-server --server ${SWL_TEST_SERVER} --timeout 60
          -- sh -c "exec \"$0\" 127.0.0.1 \"$SWARMLOG_PORT\"" $<TARGET_FILE:swarmlog-example>)
set_tests_properties(client_c_example PROPERTIES LABELS clients TIMEOUT 120)
