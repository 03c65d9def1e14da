/* Enumerations of the MLP engine and their name tables. These names are the
 * ones users write in YAML and see in journals and model files. */
#ifndef MLPS_NN_TYPES_H
#define MLPS_NN_TYPES_H

typedef enum {
  ACT_RELU,
  ACT_LEAKY_RELU, /* negative slope 0.01, as torch.nn.LeakyReLU */
  ACT_ELU,        /* alpha 1 */
  ACT_SELU,
  ACT_GELU,  /* exact erf form, torch.nn.GELU() default */
  ACT_SWISH, /* x * sigmoid(x); "silu" is accepted as an alias */
  ACT_SIGMOID,
  ACT_TANH,
  ACT_LINEAR, /* identity: the output layer */
  ACT_COUNT
} nn_activation;
extern const char *const NN_ACTIVATION_NAMES[ACT_COUNT];
/* Accepts the table names plus the alias "silu"; -1 when unknown. */
int nn_activation_from_name(const char *name);

/* chi2: squared error weighted per element, w (y - t)^2, with weights the
 * caller gives beside the targets (mlp_train_w); the workflow derives them
 * from the measurement noise so that the loss approximates the data-space
 * chi2 (README "Noise-aware selection and training"). */
typedef enum { LOSS_MSE, LOSS_MAE, LOSS_CHI2, LOSS_COUNT } nn_loss;
extern const char *const NN_LOSS_NAMES[LOSS_COUNT];

typedef enum { OPT_SGD, OPT_ADAM, OPT_ADAMW, OPT_RADAM, OPT_COUNT } nn_optimizer;
extern const char *const NN_OPTIMIZER_NAMES[OPT_COUNT];

typedef enum {
  INIT_TORCH,  /* nn.Linear default: kaiming_uniform(a=sqrt(5)), bias U(+-1/sqrt(fan_in)) */
  INIT_HE,     /* kaiming normal, fan_in, gain sqrt(2); zero bias */
  INIT_GLOROT, /* xavier uniform; zero bias */
  INIT_COUNT
} nn_init;
extern const char *const NN_INIT_NAMES[INIT_COUNT];

typedef enum {
  SCHED_CONSTANT,
  SCHED_PLATEAU,
  SCHED_COSINE,
  SCHED_STAGES,
  SCHED_COUNT
} nn_schedule_kind;
extern const char *const NN_SCHEDULE_NAMES[SCHED_COUNT];

#endif
