{
  "variables": {
    "capibara_common_cflags": [
      "-O3",
      "-fPIC",
      "-Wall",
      "-Wextra",
      "-Wno-unused-parameter",
      "-Wno-maybe-uninitialized"
    ]
  },
  "target_defaults": {
    "include_dirs": [
      "native"
    ],
    "cflags_cc": [
      "<@(capibara_common_cflags)"
    ],
    "cflags_cc!": [
      "-fno-exceptions",
      "-fno-rtti"
    ],
    "cflags!": [
      "-fno-exceptions"
    ]
  },
  "targets": [
    {
      "target_name": "capibara_scalar",
      "type": "static_library",
      "sources": [
        "<!@(node scripts/sources.mjs scalar)"
      ],
      "cflags_cc": [
        "-fno-tree-vectorize"
      ]
    },
    {
      "target_name": "capibara_avx2",
      "type": "static_library",
      "conditions": [
        [
          "target_arch=='x64'",
          {
            "sources": [
              "<!@(node scripts/sources.mjs avx2)"
            ],
            "cflags_cc": [
              "-mavx2",
              "-mfma",
              "-mf16c"
            ]
          }
        ]
      ]
    },
    {
      "target_name": "capibara_avx512",
      "type": "static_library",
      "conditions": [
        [
          "target_arch=='x64'",
          {
            "sources": [
              "<!@(node scripts/sources.mjs avx512)"
            ],
            "cflags_cc": [
              "-mavx2",
              "-mfma",
              "-mf16c",
              "-mavx512f",
              "-mavx512bw",
              "-mavx512vl",
              "-mavx512dq",
              "-mavx512vnni",
              "-Wno-uninitialized"
            ]
          }
        ]
      ]
    },
    {
      "target_name": "capibara_neon",
      "type": "static_library",
      "conditions": [
        [
          "target_arch=='arm64'",
          {
            "sources": [
              "<!@(node scripts/sources.mjs neon)"
            ]
          }
        ]
      ]
    },
    {
      "target_name": "capibara",
      "sources": [
        "<!@(node scripts/sources.mjs core)",
        "<!@(node scripts/sources.mjs addon)"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS"
      ],
      "dependencies": [
        "capibara_scalar"
      ],
      "libraries": [
        "-lpthread"
      ],
      "conditions": [
        [
          "target_arch=='x64'",
          {
            "dependencies": [
              "capibara_avx2",
              "capibara_avx512"
            ]
          }
        ],
        [
          "target_arch=='arm64'",
          {
            "dependencies": [
              "capibara_neon"
            ]
          }
        ]
      ]
    }
  ]
}
