package dcn4j.train;

import dcn4j.Tensor;
import java.util.List;

/**
 * A layer of the demonstration networks: forward keeps what its backward needs (the caller keeps
 * {@code input} open until then), backward adds the parameter gradients and returns the gradient
 * of the input. Deliberately minimal: not a framework.
 */
interface Layer {

    Tensor forward(Tensor input);

    Tensor backward(Tensor gradOutput);

    List<Parameter> parameters();
}
