"""The committed samples must be what the generators produce today.

``etc/trove-lite/trove-lite.conf.sample`` and ``etc/trove-lite/policy.yaml.sample``
are documentation that operators copy from, so they must not drift from the
options and policy defaults in code. Each test runs the generator with the
committed generator config, writing into a temporary directory, and compares.

The config sample also carries the options of the OpenStack libraries we
use, whose wording changes with their releases; the test holds only our own
options to the committed text (every option block of the ``trove_lite``
namespace must appear in it verbatim), so a library release cannot fail it.
The policy sample is all ours and must match exactly.

The generators run in a child interpreter so that their global state (the
options they register, the defaults hooks they call) stays out of this test
process.
"""

import os
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ETC = os.path.join(REPO_ROOT, 'etc', 'trove-lite')


def _generate(module, function, generator_conf, output):
    code = ('import sys; from %s import %s as gen; sys.exit(gen(sys.argv[1:]))'
            % (module, function))
    result = subprocess.run(
        [sys.executable, '-c', code,
         '--config-file', os.path.join(ETC, generator_conf),
         '--output-file', str(output)],
        cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 0, (
        '%s failed (exit %d):\n%s'
        % (module, result.returncode, result.stderr))


def _committed(sample):
    with open(os.path.join(ETC, sample)) as handle:
        return handle.read()


def _option_blocks(text):
    """The option paragraphs of a sample (headers and banners dropped)."""
    blocks = [block.strip('\n') for block in text.split('\n\n')]
    return [block for block in blocks
            if block and not block.startswith('[')
            and block.strip('#\n ') and not block.startswith('#\n# From ')]


def test_config_sample_has_our_options(tmp_path):
    generated = tmp_path / 'ours.conf.sample'
    generator_conf = tmp_path / 'ours-generator.conf'
    # Same wrapping as the committed generator config, our namespace only.
    generator_conf.write_text('[DEFAULT]\nwrap_width = 79\n'
                              'namespace = trove_lite\n')
    _generate('oslo_config.generator', 'main', generator_conf, generated)
    committed = _committed('trove-lite.conf.sample')
    stale = [block for block in _option_blocks(generated.read_text())
             if block not in committed]
    assert not stale, (
        'etc/trove-lite/trove-lite.conf.sample is out of date with the '
        'code: run `tox -e genconfig` and commit the result. Missing:\n%s'
        % '\n\n'.join(stale))


def test_policy_sample_is_current(tmp_path):
    generated = tmp_path / 'policy.yaml.sample'
    _generate('oslo_policy.generator', 'generate_sample',
              'trove-lite-policy-generator.conf', generated)
    assert generated.read_text() == _committed('policy.yaml.sample'), (
        'etc/trove-lite/policy.yaml.sample is out of date with the code: '
        'run `tox -e genpolicy` and commit the result.')
