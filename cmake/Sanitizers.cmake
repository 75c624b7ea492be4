# Sanitizer flags for our own targets, chosen with JQ_ENABLE_{ASAN,UBSAN,TSAN}.
add_library(jq_sanitizers INTERFACE)
set(_jq_sanitizers "")
if(JQ_ENABLE_ASAN)
  list(APPEND _jq_sanitizers address)
endif()
if(JQ_ENABLE_UBSAN)
  list(APPEND _jq_sanitizers undefined)
endif()
if(JQ_ENABLE_TSAN)
  list(APPEND _jq_sanitizers thread)
endif()
if(_jq_sanitizers)
  list(JOIN _jq_sanitizers "," _jq_list)
  target_compile_options(jq_sanitizers INTERFACE -fsanitize=${_jq_list}
                                                 -fno-omit-frame-pointer
                                                 -fno-sanitize-recover=all)
  target_link_options(jq_sanitizers INTERFACE -fsanitize=${_jq_list})
endif()
